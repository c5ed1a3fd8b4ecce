"""gwplan's topology: the GPU fabric a plan implies, as a networkx graph, with its counts."""
