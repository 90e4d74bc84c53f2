"""Shared test setup: make ``tests/`` importable (for ``naive``) and keep logs quiet."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
