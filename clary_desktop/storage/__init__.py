"""Offline model management: models that reach this machine without a download.

Plain Python, no Qt; the fronts reach it only through the Registry facade
(`import_file`, `export_models`, `import_bundle`, `storage_report`,
`reclaim_storage`, `move_models_dir`, `hf_cache_candidates`, `link_hf_cache`).

- `sideload`: register a file or folder the user already has (hash, detect the
  format, match a catalog file by sha256, else a new "local" lite model).
- `hf_cache`: catalog files already present in the local Hugging Face cache.
- `bundles`: export installed models to a folder or `.tar` with a manifest;
  import one verified in full before anything is registered.
- `report`: disk use per model, partial downloads, orphans, missing files; reclaim.
- `move`: move the whole models folder to another drive, verified, all or nothing.
- `network`: a quick "is the network there" probe for the GUI's offline indicator.

Every long operation takes an optional `progress` callback called with a
`Progress` value (domain/storage_values.py) from the worker thread (the GUI
throttles its repaints); the callback may raise `Cancelled` to stop, which
cleans up like any failure.
Every operation blocks (hashing, copying): run it in a worker thread.
"""
