"""The demo model shipped inside the package, and the synthetic clip `vidinvert demo` edits."""
