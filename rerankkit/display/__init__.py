"""HTML and plots: one stylesheet and palette, score cards, explanation HTML, matplotlib charts."""
