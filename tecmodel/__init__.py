"""tecmodel: techno-economic investment model of gigawatt-scale AI compute campuses."""

__version__ = "0.1.0"
