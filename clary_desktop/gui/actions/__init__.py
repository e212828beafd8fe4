"""The window's actions, one group per module; `MainWindow` assembles them.

Each group holds the window (for its widgets, its task runner and the Registry) and
nothing below the Registry facade. Blocking calls run through `window.tasks`.

- `model_actions`: download, pause/resume/cancel/retry, update, roll back, remove,
  verify, open folder, the table's context menu, and the download queue's events.
- `license_actions`: File > Load license, and the license in the status bar.
- `catalog_actions`: File > Import catalog, Tools > Check for updates and Sync catalog.
- `storage_actions`: import model files (and drops), export / import bundles, the
  Storage view (reclaim, move), installing from the Hugging Face cache.
- `api_actions`: the local API server and its keys.
- `usage_actions`: model usage, parameters and performance.
- `settings_actions`: Tools > Settings and Help > About.
- `network_actions`: the online/offline indicator, and downloads waiting for the network.
"""
