"""Use 3, the PGM drawing: :mod:`.layout` places the nodes (plain data),
:mod:`.render` draws them with daft."""
