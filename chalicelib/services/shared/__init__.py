"""Pieces the use cases share; none of them imports a use case."""
