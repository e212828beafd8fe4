"""The seed's API and what the document pipeline needs beside it.

Every endpoint needs an `X-API-Key` made with `clary-models apikey create`; a key
acts with the tier of the local license. The key, the Host header and the body size
are checked by guard.py before FastAPI reads anything. Handlers are plain `def`s:
FastAPI runs them in worker threads, so the registry's blocking calls never hold the
loop. There is no /docs page: Swagger UI would load its scripts from the internet;
/openapi.json describes the API for any OpenAPI viewer.
"""

from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, Field

from clary_desktop import __version__
from clary_desktop.api.guard import API_KEY_HEADER, KEY_SCOPE, RequestGuard, key_missing_message
from clary_desktop.api.hints import hint_body
from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.domain.memory_fit import FitReport
from clary_desktop.domain.model_facts import ModelFacts
from clary_desktop.domain.model_views import MAX_SEARCH_CHARS, ModelInfo
from clary_desktop.domain.pipeline_values import ApiKeyInfo, RunInfo, RunReport, UsageInfo
from clary_desktop.errors import AccessDeniedError, ClaryError, NotFoundError

_key_header = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="A key from `clary-models apikey create NAME`.",
)

ModelIdPath = Annotated[str, Path(min_length=1, max_length=128, description="Catalog model id")]
TierName = Literal["lite", "standard", "professional"]


class ErrorBody(BaseModel):
    detail: str
    hint: dict[str, str | int] | None = Field(
        default=None,
        description="What to do next, for a program: `action` names the step "
        "(e.g. cancel_download), the other keys are its parameters (job_id, model_id, "
        "task, source).",
    )


class ModelDetail(ModelInfo):
    """A model with what its header says and whether it fits this computer."""

    facts: ModelFacts | None = Field(
        description="From the catalog, the installed files or a header read earlier"
    )
    fit: FitReport


class UsageDetail(UsageInfo):
    """The model used for a task, with its memory estimate at the chosen parameters."""

    fit: FitReport


ContextQuery = Annotated[
    int | None,
    Query(ge=1, le=10_000_000, description="Context length (default: the chosen parameter)"),
]


class DownloadStarted(BaseModel):
    job_id: int
    model_id: str
    version: str
    state: str


class JobBody(BaseModel):
    job_id: int
    model_id: str
    version: str
    state: str
    bytes_done: int
    bytes_total: int | None
    speed_bps: float | None
    eta_seconds: float | None
    error: str | None


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No key, a wrong key or a revoked key"},
    403: {"model": ErrorBody, "description": "The model needs a higher tier"},
    404: {"model": ErrorBody, "description": "Unknown id"},
}


def caller(request: Request, _secret: Annotated[str | None, Depends(_key_header)]) -> ApiKeyInfo:
    """The key sent in X-API-Key, as the guard checked it (the header is declared here
    for the OpenAPI document)."""
    key = request.scope.get(KEY_SCOPE)
    if not isinstance(key, ApiKeyInfo):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=key_missing_message())
    return key


Caller = Annotated[ApiKeyInfo, Depends(caller)]


def create_app(registry: Registry, *, host: str, port: int) -> FastAPI:
    """The API for a server listening on `host:port` (the Host header must name it)."""
    app = FastAPI(
        title="Clary Desktop local API",
        version=__version__,
        description="The model registry of Clary AI, for the document pipeline on this machine.",
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(
        RequestGuard, authenticate=registry.authenticate_api_key, host=host, port=port
    )

    @app.exception_handler(RequestValidationError)
    def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _plain_errors(error)}, status_code=422)

    @app.exception_handler(NotFoundError)
    def _not_found(_request: Request, error: NotFoundError) -> JSONResponse:
        return _error_answer(error, 404)

    @app.exception_handler(AccessDeniedError)
    def _denied(_request: Request, error: AccessDeniedError) -> JSONResponse:
        return _error_answer(error, 403)

    @app.exception_handler(ClaryError)
    def _conflict(_request: Request, error: ClaryError) -> JSONResponse:
        return _error_answer(error, 409)

    @app.get("/api/v1/models", response_model=list[ModelInfo], responses=ERRORS)
    def list_models(
        _key: Caller,
        tier: Annotated[TierName | None, Query(description="Default: the caller's tier")] = None,
        model_type: Annotated[str | None, Query(max_length=32)] = None,
        search: Annotated[str | None, Query(max_length=MAX_SEARCH_CHARS)] = None,
        limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> list[ModelInfo]:
        user_tier = registry.tier
        wanted = Tier.parse(tier) if tier else user_tier
        if wanted > user_tier:
            raise AccessDeniedError(
                f"Listing the {wanted.key} tier requires {wanted.key}; your license is "
                f"{user_tier.key}."
            )
        return registry.list_models(
            tier=wanted, model_type=model_type, search=search, limit=limit, offset=offset
        )

    @app.get("/api/v1/models/{model_id}", response_model=ModelDetail, responses=ERRORS)
    def get_model(
        model_id: ModelIdPath,
        _key: Caller,
        context: ContextQuery = None,
        read_header: Annotated[
            bool,
            Query(
                description="Read the header of the model's file on the server when its facts "
                "are not known yet (a few ranged requests; never downloads the file)"
            ),
        ] = False,
    ) -> ModelDetail:
        model = registry.check_access(model_id)
        fit = registry.fit(model_id, context=context, fetch=read_header)
        return ModelDetail(**dict(model), facts=fit.facts, fit=fit)

    @app.post(
        "/api/v1/models/{model_id}/download",
        response_model=DownloadStarted,
        status_code=status.HTTP_202_ACCEPTED,
        responses=ERRORS,
    )
    def download_model(model_id: ModelIdPath, _key: Caller, force: bool = False) -> DownloadStarted:
        registry.check_access(model_id)
        job = registry.download_job(registry.start_download(model_id, force=force))
        return DownloadStarted(
            job_id=job.job_id, model_id=job.model_id, version=job.version, state=str(job.state)
        )

    @app.get("/api/v1/downloads", response_model=list[JobBody], responses=ERRORS)
    def list_downloads(_key: Caller) -> list[JobBody]:
        return [_job_body(job) for job in registry.download_jobs()]

    @app.get("/api/v1/downloads/{job_id}", response_model=JobBody, responses=ERRORS)
    def get_download(job_id: Annotated[int, Path(ge=1, le=2**62)], _key: Caller) -> JobBody:
        return _job_body(registry.download_job(job_id))

    @app.get(
        "/api/v1/usage/{task}",
        response_model=UsageDetail,
        responses={**ERRORS, 409: {"model": ErrorBody, "description": "Selected but unusable"}},
    )
    def usage(task: Annotated[str, Path(min_length=1, max_length=32)], _key: Caller) -> UsageDetail:
        used = registry.usage_for(task)
        # Installed: the facts come from its files, never from the network.
        fit = registry.fit(used.model_id, version=used.version, fetch=False)
        return UsageDetail(**dict(used), fit=fit)

    @app.post(
        "/api/v1/models/{model_id}/metrics",
        response_model=RunInfo,
        status_code=status.HTTP_201_CREATED,
        responses=ERRORS,
    )
    def report_run(model_id: ModelIdPath, report: RunReport, key: Caller) -> RunInfo:
        return registry.record_run(model_id, report, api_key_id=key.id)

    return app


def _error_answer(error: ClaryError, status_code: int) -> JSONResponse:
    """The core's message, and its hint as data: the API's caller is a program."""
    body = ErrorBody(detail=str(error), hint=hint_body(error))
    return JSONResponse(body.model_dump(mode="json"), status_code=status_code)


def _plain_errors(error: RequestValidationError) -> list[dict[str, Any]]:
    """Where and what, without echoing the input: a NaN or Infinity sent in the body is
    not valid JSON to send back, and a large input need not travel twice."""
    return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]


def _job_body(job: object) -> JobBody:
    data = {name: getattr(job, name) for name in JobBody.model_fields}
    data["state"] = str(data["state"])
    return JobBody(**data)
