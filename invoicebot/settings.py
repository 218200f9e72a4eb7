"""invoicebot's settings: one pydantic-settings object, read from ``INVOICEBOT_*`` and ``.env``."""

from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from invoicebot.books.entries import BookAccounts


class Settings(BaseSettings):
    """Every setting of invoicebot; build one with ``Settings()`` where it is needed."""

    model_config = SettingsConfigDict(env_prefix="INVOICEBOT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path(".invoicebot"),
        description="Where the database file, the archive and the models live.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store; default: an SQLite file in the data dir.",
    )
    ocr_languages: str = Field(default="fra+eng+deu", description="tesseract languages")
    ocr_dpi: int = Field(default=200, ge=72, le=600, description="page render resolution for OCR")
    ocr_workers: int = Field(default=2, ge=1, description="pages OCR'd in parallel")
    document_timeout_s: float = Field(default=120.0, gt=0, description="per-document time limit")
    max_file_mb: float = Field(default=50.0, gt=0, description="larger files are refused")
    stable_seconds: float = Field(
        default=2.0,
        ge=0,
        description="a file is taken only when its size and modification time are the same "
        "across this many seconds (0: files arrive as NAME.part renamed when complete)",
    )
    claim_lease_s: float = Field(
        default=30.0,
        gt=0,
        description="lease of a run's claim on a document, renewed while it works: a claim "
        "not renewed for this many seconds belongs to a run that died, and another run takes "
        "the file over (the takeover is recorded)",
    )
    lease_renew_s: float = Field(
        default=10.0,
        gt=0,
        description="how often a run renews the leases of the documents it is processing "
        "(a third of INVOICEBOT_CLAIM_LEASE_S when that is shorter)",
    )
    document_memory_mb: int = Field(
        default=3072,
        ge=256,
        description="address-space cap of the process that reads one document (RLIMIT_AS); "
        "a document that needs more is quarantined as out_of_memory",
    )
    max_image_pixels: int = Field(
        default=50_000_000,
        gt=0,
        description="image files with more pixels in a frame are refused before decoding",
    )
    max_image_frames: int = Field(
        default=50, ge=1, description="image files (TIFF) with more frames are refused"
    )
    max_attempts: int = Field(
        default=3,
        ge=1,
        description="runs a document failing for a transient cause (missing OCR language, bad "
        "template, timeout under load, store unavailable) is tried in before it is quarantined",
    )
    extractor_plugins: list[str] = Field(
        default_factory=list,
        description="extra extractors tried before the built-in ones, as 'module:attribute' "
        "import paths (a JSON list)",
    )
    batch_workers: int = Field(default=2, ge=1, description="invoices processed at once")
    task_runner: Literal["thread", "dask"] = Field(
        default="thread",
        description="how the batch flow spreads its documents: threads of the flow's process, "
        "or a Dask cluster (INVOICEBOT_DASK_ADDRESS, else a LocalCluster of processes)",
    )
    dask_address: str | None = Field(
        default=None,
        description="scheduler address of the Dask cluster (tcp://host:8786) for "
        "INVOICEBOT_TASK_RUNNER=dask; default: a LocalCluster started for each batch",
    )
    dask_workers: int | None = Field(
        default=None,
        ge=1,
        description="worker processes of that LocalCluster (one thread each); default: one "
        "per core",
    )
    manual_minutes_per_invoice: float = Field(
        default=12.0, gt=0, description="manual keying time an invoice would take (APQC: 5-17)"
    )
    sla_hours: float = Field(
        default=48.0, gt=0, description="an invoice should be decided within this many hours"
    )
    operator_hourly_cost: float = Field(
        default=35.0, ge=0, description="loaded cost of one AP operator hour, for cost per invoice"
    )
    rules_config: Path | None = Field(
        default=None,
        description="YAML rule configuration (see config/rules.example.yaml); default: built-in",
    )
    steps_config: Path | None = Field(
        default=None,
        description="YAML list of the steps each document goes through, with their settings "
        "(see config/steps.example.yaml and docs/adding-a-step.md); default: the built-in "
        "steps claim, extract, validate, classify, store, route",
    )
    step_task_runs: bool = Field(
        default=False,
        description="true: the batch flow runs each step of each document as a Prefect task "
        "run of its own, shown in the UI (24-34 ms a document); false: the steps run inside "
        "the process-documents task run of the document's group",
    )
    documents_per_task: int = Field(
        default=16,
        ge=1,
        description="most documents one process-documents task run of the batch flow reads, "
        "one after the other (a group is about 3 s of work at the batch's pace, and fewer as "
        "the batch's end nears, so all cores finish together): a "
        "task run costs the Prefect server and the flow about 75 ms of CPU, a text PDF's whole "
        "reading 100-200 ms; 1: one task run per document",
    )
    notify_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="webhook the optional notify step POSTs each document's outcomes to, "
        "when its own settings name none",
    )
    templates_dir: Path | None = Field(
        default=None,
        description="folder of supplier templates in invoice2data's format (YAML/JSON) whose "
        "fields override the generic ones for the supplier they match; default: none",
    )
    rules_reference_date: date | None = Field(
        default=None,
        description="'today' for the date rules; default: the processing date",
    )
    retention_days: int = Field(
        default=3653,
        ge=1,
        description="documents received longer ago than this are deleted by `invoicebot purge` "
        "(store rows, archive files, Prefect runs); default 10 years, the French commercial "
        "code's retention of accounting documents",
    )
    four_eyes: str = Field(
        default="vendor,IBAN-CHECK,BIC-CHECK",
        description="exception categories and rule ids (comma-separated) whose approval needs "
        "a second person: the approver differs from whoever took or escalated the case before; "
        "empty: no four-eyes rule",
    )

    company_siren: str | None = Field(
        default=None,
        pattern=r"^\d{9}$",
        description="SIREN of the buying company: names the FEC file (<SIREN>FEC<AAAAMMJJ>.txt) "
        "when `invoicebot export fec --out` is a folder, and identifies the buyer on the "
        "lifecycle messages",
    )
    company_country: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166 country of the buying company: the buyer's country (BT-55) of "
        "the e-invoices `invoicebot export cii|facturx` writes, for invoices that state no "
        "buyer VAT number; default FR when INVOICEBOT_COMPANY_SIREN is set, else none",
    )
    fec_journal_code: str = Field(default="HA", min_length=1, description="purchase journal code")
    fec_journal_label: str = Field(default="Journal des achats", description="its label")
    fec_supplier_account: str = Field(
        default="401", description="general account credited with the gross (suppliers)"
    )
    fec_expense_account: str = Field(
        default="607", description="account debited with the net when no vendor has its own"
    )
    fec_expense_accounts: dict[str, str] = Field(
        default_factory=dict,
        description="expense account by vendor id (a JSON object), for suppliers whose "
        "vendor-master row gives no expense_account",
    )
    fec_vat_account: str = Field(
        default="44566", description="account debited with the deductible VAT, one line a rate"
    )

    page_view_port: int = Field(
        default=4280,
        ge=1,
        le=65535,
        description="port of the page view (`make serve`): each archived document's pages as "
        "PNG, outlined where the values were read, and the original file",
    )
    page_view_host: str = Field(
        default="127.0.0.1", description="address the page view listens on (loopback only)"
    )
    page_view_url: str | None = Field(
        default=None,
        description="address the review forms link the page view at, as the operators' "
        "browsers reach it; default http://<page_view_host>:<page_view_port>",
    )
    page_view_secret: SecretStr | None = Field(
        default=None,
        description="key of the page view's signed links; default: the file page-view-secret "
        "in the data dir (`make serve` creates it)",
    )
    page_view_link_days: float = Field(
        default=7.0,
        gt=0,
        description="how long a signed page link in a review form stays valid (a case may "
        "wait over a weekend; the decision form is signed again at each pause)",
    )
    page_view_width: int = Field(
        default=1000, ge=200, le=3000, description="width in pixels of a rendered page"
    )

    mailbox_host: str | None = Field(
        default=None, description="IMAP server of the mailbox channel (`fetch-mailbox`)"
    )
    mailbox_port: int | None = Field(
        default=None, ge=1, le=65535, description="IMAP port; default 993 (tls), 143 otherwise"
    )
    mailbox_user: str | None = Field(default=None, description="IMAP login")
    mailbox_password: SecretStr | None = Field(
        default=None,
        description="IMAP password; the flow prefers a Prefect Secret block when it names one",
    )
    mailbox_folder: str = Field(default="INBOX", description="folder the invoices arrive in")
    mailbox_security: str = Field(
        default="tls",
        pattern="^(tls|starttls|plain)$",
        description="tls (implicit, port 993), starttls, or plain: refused unless the host is "
        "this machine (localhost, 127.0.0.0/8, ::1)",
    )
    mailbox_ca_file: Path | None = Field(
        default=None, description="CA certificates to verify the server with; default: system's"
    )
    mailbox_processed_folder: str | None = Field(
        default=None,
        description="fetched messages are moved there (created if missing); default: they stay "
        "and carry the $InvoicebotFetched keyword",
    )

    def buyer_country(self) -> str | None:
        """Return the buying company's country for the e-invoice export: the one set, FR
        for a company with a SIREN (a French register), else None."""
        if self.company_country is not None:
            return self.company_country
        return "FR" if self.company_siren is not None else None

    def book_accounts(self) -> BookAccounts:
        """Return the journal and accounts the FEC export posts to."""
        return BookAccounts(
            journal_code=self.fec_journal_code,
            journal_label=self.fec_journal_label,
            supplier_account=self.fec_supplier_account,
            expense_account=self.fec_expense_account,
            expense_accounts=self.fec_expense_accounts,
            vat_account=self.fec_vat_account,
        )

    @property
    def lease_renew_every_s(self) -> float:
        """Return how often a lease is renewed: every ``lease_renew_s``, or a third of the
        lease when that is shorter (one renewal lost to a slow store does not lose it)."""
        return min(self.lease_renew_s, self.claim_lease_s / 3)

    @cached_property
    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to ``invoicebot.db`` in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'invoicebot.db').resolve()}"

    @property
    def four_eyes_scope(self) -> frozenset[str]:
        """Return the categories and rule ids under the four-eyes rule."""
        return frozenset(item.strip() for item in self.four_eyes.split(",") if item.strip())

    @property
    def resolution_model_dir(self) -> Path:
        """Return the folder of the exception resolution classifier (``invoicebot train``)."""
        return self.data_dir / "models" / "resolution"

    @property
    def mailbox_quarantine_dir(self) -> Path:
        """Return where rejected attachments and messages without any usable one are kept."""
        return self.archive_dir / "quarantine" / "mail"

    @property
    def page_view_base_url(self) -> str:
        """Return the address review forms link the page view at."""
        if self.page_view_url:
            return self.page_view_url.rstrip("/")
        return f"http://{self.page_view_host}:{self.page_view_port}"

    @property
    def page_view_secret_file(self) -> Path:
        """Return the file holding the page view's link key when no setting gives it."""
        return self.data_dir / "page-view-secret"

    def page_view_key(self) -> bytes | None:
        """Return the key that signs page links, None when there is none (no served stack)."""
        if self.page_view_secret is not None:
            return self.page_view_secret.get_secret_value().encode()
        try:
            key = self.page_view_secret_file.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return key.encode() or None

    @property
    def page_cache_dir(self) -> Path:
        """Return where rendered pages are cached (by file digest, page, size, outline)."""
        return self.data_dir / "cache" / "pages"

    @property
    def archive_dir(self) -> Path:
        """Return the folder that holds ``approved/``, ``exceptions/`` and ``quarantine/``."""
        return self.data_dir / "archive"
