"""The names dataset that ships with nnzero (see PROVENANCE.md beside it)."""
