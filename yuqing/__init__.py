"""The composition root and entry points: ``yuqing <role>``, ``yuqing run`` (cli,
supervisor), the parts built from configuration (bootstrap) and what each
process does (roles).

A regular package, not a namespace one: a namespace ``yuqing`` merges every
``yuqing/`` directory on the path (a checkout on PYTHONPATH and the editable
install's), so a module missing from one checkout was imported from another.
"""
