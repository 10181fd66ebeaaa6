"""Small helpers every layer uses: argument checks, optional imports, cache folders, quiet transformers."""
