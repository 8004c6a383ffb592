"""The one graph: nodes and plates (:mod:`.nodes`), the model that declares
them (:mod:`.model`), and the walk through it that every use shares
(:mod:`.evaluate`)."""
