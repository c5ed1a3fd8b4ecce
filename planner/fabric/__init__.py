"""From a plan to the GPU fabrics it implies (the glue between the plan and `topology/`).

- `clusters`: which fabrics stand at a phase (one per site and platform, split into clusters that fit
  three tiers) and their `FabricSpec`s; the racks-per-scalable-unit rule;
- `bom`: typed bills of materials, what each phase adds, a spec's figures;
- `graph`: a site fabric as a networkx graph marked by phase; `spec_file`: fabric spec YAML files.
"""
