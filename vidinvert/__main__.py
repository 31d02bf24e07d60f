import sys

from vidinvert.cli import main

sys.exit(main())
