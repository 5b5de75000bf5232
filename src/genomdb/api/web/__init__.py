"""The variant browser: server-rendered HTML (escaped by construction), a server-side SVG plot, CSV tables."""
