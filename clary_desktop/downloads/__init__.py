"""The download engine: a persistent queue, two sources, one resumable transfer.

Fronts reach it only through the Registry facade (`clary_desktop.app`), which
holds one `DownloadManager`. The manager's interface:

- `DownloadManager` (thread-based; usable from the CLI and the GUI):
  `start(model_id, version=None, force=False) -> job id` (AccessDeniedError
  "... requires <tier> ..." above the user's tier, NotFoundError for unknown ids;
  an unfinished job for the same model+version is joined, and resumed if paused),
  `pause(job_id)`, `resume(job_id)` (also re-runs failed/cancelled jobs),
  `cancel(job_id, keep_partial=False)`, `retry(job_id)`, `clear_finished() -> int`,
  `jobs(include_finished=True) -> list[JobInfo]`, `job(job_id) -> JobInfo`,
  `wait(job_id, timeout=None) -> JobInfo` (returns when the job finishes, or when
  it pauses: disk full, or a pause from another process),
  `subscribe(callback) -> unsubscribe` (callbacks run on worker threads and must
  not block; state changes always, progress at most 4 per second per job),
  `stray_partials() -> list[StrayPartial]`, `shutdown(timeout)` (running jobs
  go to paused, partials kept).
- `JobInfo` / `DownloadEvent` (frozen pydantic): job_id, model_id, version,
  state (`JobState`: queued, downloading, paused, verifying, completed, failed,
  cancelled), bytes_done, bytes_total, speed_bps, eta_seconds, error (a plain
  sentence), current_file, created_at, updated_at; events add `kind`
  ("state" or "progress").
- `VerifyResult`: model_id, version, path, status (ok / corrupt / missing),
  expected_sha256, actual_sha256, detail.

Layout on disk: `<models dir>/<type>/<model id>/<version>/<files>`; a file
being fetched is `<file>.part` with a `<file>.part.json` sidecar beside it.
"""
