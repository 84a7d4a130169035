"""Helpers of the test suite, imported as ``tests.support`` (plain functions and classes; the
fixtures that set up and tear down live in the conftest files):

- ``apps``: ``make_app`` (an app over fixtures/npm or a copy of fixtures/compat), ``write_tree``,
  ``copy_fixture``, the fixture paths;
- ``node``: ``run_node`` (code in Node through a deps dir's import map), ``node_keys``;
- ``wait``: ``wait_until`` (a condition with a deadline, instead of sleeping);
- ``daemon``: ``Daemon`` (a ``prebundle daemon`` subprocess), ``EventReader``, ``raw_get``, ...;
- ``browser``: ``serve`` (an app root over HTTP), ``open_page`` in Chromium, ...

The two ``.mjs`` files here are the Node import-map loader ``run_node`` registers.
"""

from .apps import copy_fixture, make_app, write_tree
from .node import node_keys, run_node
from .wait import wait_until

__all__ = ["copy_fixture", "make_app", "node_keys", "run_node", "wait_until", "write_tree"]
