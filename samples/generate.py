#!/usr/bin/env python3
"""Generate a synthetic registry snapshot (same as `almguard generate`):

    python samples/generate.py --versions 10000 --violations 0.1 -o registry.json
"""

import sys

from checker.cli import main

sys.exit(main(["generate", *sys.argv[1:]]))
