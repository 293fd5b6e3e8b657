"""The typed Arazzo model: the document after validate, values parsed once, components resolved."""
