"""The PySide6 desktop UI. The only package that may import Qt."""
