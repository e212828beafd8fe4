"""The desktop window. The only package that imports PySide6 or qasync.

It holds one Registry facade and nothing below it; every blocking call goes
through `tasks.Tasks` to a worker thread and comes back to the qasync loop.
"""
