import sys

from articleqa.cli import main

sys.exit(main())
