#!/usr/bin/env python3
"""Generate a synthetic registry snapshot: python samples/generate.py --versions 10000 -o x.json"""

import sys

from checker.generate import main

sys.exit(main())
