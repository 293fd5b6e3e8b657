"""The compiler's IR: types (types.py), statements and expressions (nodes.py), and the printer (printer.py)."""
