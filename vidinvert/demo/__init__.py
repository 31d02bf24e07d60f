"""The demo model shipped inside the package (`vidinvert.demo.model`), and the synthetic talking-face
clip `vidinvert demo` renders with it and edits (`vidinvert.demo.run.run_demo`,
`vidinvert.demo.clip.render_demo_clip`)."""
