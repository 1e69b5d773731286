"""The engine: advances runs, processes events and timers, dispatches the outbox, runs workers.

It defines the few ports it needs (:mod:`.ports`) and never imports the layers above it.
"""
