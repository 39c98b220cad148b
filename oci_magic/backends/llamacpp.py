"""The in-process llama.cpp engine (llama-cpp-python): load a GGUF once, stream replies, count tokens.

Importing this module does not import llama_cpp; loading a model does. One model is kept per kernel
(`load_cached`), because loading a 4 GB file for every cell would make the tool unusable.
"""

from __future__ import annotations

import atexit
import collections
import ctypes
import functools
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from oci_magic.backends.base import Backend, Reply, ReplyStats
from oci_magic.backends.chat_formats import ChatFormat, choose_format
from oci_magic.backends.reply_text import ReplyText
from oci_magic.backends.speculation import SpeculationStats, evaluate_prompt, greedy_tokens
from oci_magic.errors import BackendError, ChatFormatError, ContextOverflowError, ModelLoadError

__all__ = [
    "LlamaCppBackend",
    "load_cached",
    "is_cached",
    "cached_backend",
    "release_cached",
    "release_mapped_file",
    "route_native_log",
    "default_threads",
    "crashing_settings",
]


def default_threads() -> int:
    """Threads for decoding: every core on small machines, half of them (≈ physical cores) on larger."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        available = os.cpu_count() or 1
    return available if available <= 4 else available // 2


def _system_info() -> str:
    import llama_cpp

    return llama_cpp.llama_print_system_info().decode(errors="replace")


# llama.cpp's latest error lines: when a load fails, its own reason ("unknown model architecture: 'x'",
# "tensor ... data is not within the file bounds") goes into the message instead of a generic failure.
_native_errors: collections.deque[str] = collections.deque(maxlen=20)
_LOG_ERROR = 4  # GGML_LOG_LEVEL_ERROR


@functools.cache
def _log_callback(verbose: bool):
    """A llama.cpp log callback that keeps error lines, and shows the log only when verbose (its cache
    layouts and tensor counts mean nothing in a notebook; llama-cpp-python's own filter lets warnings by)."""
    import llama_cpp
    import llama_cpp._logger as native_logger

    @llama_cpp.llama_log_callback
    def log(level, text, user_data):
        if level == _LOG_ERROR:
            _native_errors.append(text.decode("utf-8", errors="replace").strip())
        if verbose:
            native_logger.llama_log_callback(level, text, user_data)

    return log  # cached: llama.cpp keeps calling it, so it must outlive this function


def route_native_log(verbose: bool) -> None:
    import llama_cpp

    llama_cpp.llama_log_set(_log_callback(verbose), ctypes.c_void_p(0))


_AGAIN = "delete it and download it again (%oci pull NAME for a model of the catalog)"


def _load_failure(path: Path, reason: str, n_ctx: int) -> str:
    """One paragraph: why llama.cpp could not load `path` (its own words when it gave any) and the fix."""
    lowered = reason.lower()
    size = f"{path.stat().st_size / 2**20:,.1f} MiB"
    if "unknown model architecture" in lowered or "only supports up to version" in lowered:
        import llama_cpp

        fix = (
            f"this llama-cpp-python ({llama_cpp.__version__}) cannot read it: upgrade it "
            "(pip install -U llama-cpp-python) or choose another model, e.g. oci-ds-6.7b"
        )
    elif "alloc" in lowered or "memory" in lowered:
        fix = f"not enough memory: lower n_ctx (now {n_ctx}) or choose a smaller quantization (Q4_K_M)"
    elif "file bounds" in lowered or "failed to read" in lowered:
        fix = f"the file ({size}) is truncated, a download cut short: {_AGAIN}"
    else:
        fix = f"the file ({size}) is damaged or not a llama.cpp model: {_AGAIN}"
    return f"llama.cpp could not load {path}: {reason}. {fix[0].upper()}{fix[1:]}."


def _native_reason() -> str | None:
    """The most telling error llama.cpp logged during the load (the first: later ones only say that loading
    failed), without the name of the C function that logged it."""
    lines = list(_native_errors)
    if not lines:
        return None
    line = lines[0]
    marker = "error loading model: "
    if marker in line:
        line = line.split(marker, 1)[1]
    elif ": " in line and " " not in line.split(": ", 1)[0]:
        line = line.split(": ", 1)[1]
    return line.rstrip(".")


class _LoadProgress:
    """llama.cpp's load-progress callback: reports the fraction loaded, and aborts the load on Ctrl-C.

    The callback is the only Python code that runs during a load, so a kernel interrupt lands in it; an
    exception cannot cross into C, so it is kept, the load is told to stop, and it is raised afterwards.
    """

    def __init__(
        self, report: Callable[[float], None] | None, *, release: Callable[[], object] | None = None
    ) -> None:
        import llama_cpp

        self._report = report
        # Called every RELEASE_STEP of the load: the weights copied so far leave the mapped file's pages,
        # so the load's peak memory is not the weights twice either.
        self._release, self._released_at = release, 0.0
        self.interrupt: BaseException | None = None
        self.callback = llama_cpp.llama_progress_callback(self._called)  # kept alive while loading

    def _called(self, fraction: float, user_data) -> bool:
        try:
            if self._release is not None and fraction - self._released_at >= RELEASE_STEP:
                self._release()
                self._released_at = fraction
            if self._report is not None:
                self._report(fraction)
            return True
        except KeyboardInterrupt as exc:
            self.interrupt = exc
            return False
        except Exception:
            return True  # a failing progress display must not stop the load


@contextmanager
def _model_params(*, repack: bool, progress: _LoadProgress | None = None):
    """Load with llama.cpp's weight repacking on or off, and with a progress callback.

    llama-cpp-python builds its model parameters inside `Llama.__init__` and exposes neither
    `use_extra_bufts` nor the progress callback, so the default-parameters factory it calls is wrapped for
    the duration of the load.
    """
    import llama_cpp.llama_cpp as native

    original = native.llama_model_default_params

    def adjusted():
        params = original()
        if not repack:
            params.use_extra_bufts = False
        if progress is not None:
            params.progress_callback = progress.callback
        return params

    native.llama_model_default_params = adjusted
    try:
        yield
    finally:
        native.llama_model_default_params = original


# Tokens llama.cpp evaluates per pass of a prompt on the CPU. Its compute buffer is sized for this many logits
# rows (n_ubatch x vocabulary x 4 bytes: 512 MiB for Gemma 3's 262k vocabulary at llama.cpp's default of 512);
# 128 keeps that small, and CPU prompt evaluation is as fast (measured: 403 vs 396 tokens/s). A GPU keeps 512.
CPU_UBATCH = 128


def gpu_offload_supported() -> bool:
    """Whether this llama.cpp was built with a GPU backend (CUDA, Metal, Vulkan ...)."""
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


def system_info() -> str:
    """llama.cpp's own line about the CPU features and backends it was built with."""
    return _system_info()


def release_mapped_file(path: Path) -> int:
    """Drop this process's resident pages of its memory mappings of `path`; the bytes released (0 where
    /proc/self/maps or madvise is missing: not Linux).

    With weight repacking (or GPU offload) llama.cpp copies most weights into buffers of its own while the
    mapped GGUF stays resident: the weights would be in memory twice (1.8 GiB for a 1.1 GB model). The
    mapping is read-only, so dropping its pages loses nothing: the tensors still read from it (those not
    repacked, the rows of the embedding table a prompt uses) come back from the page cache when read."""
    try:
        maps = Path("/proc/self/maps").read_text().splitlines()
        libc = ctypes.CDLL(None, use_errno=True)
        madvise = libc.madvise
    except (OSError, AttributeError):
        return 0
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    target, released = str(path.resolve()), 0
    for line in maps:
        fields = line.split(None, 5)
        if len(fields) == 6 and fields[5] == target:
            start, end = (int(address, 16) for address in fields[0].split("-"))
            if madvise(start, end - start, MADV_DONTNEED) == 0:
                released += end - start
    return released


MADV_DONTNEED = 4  # Linux's value (<sys/mman.h>)
RELEASE_STEP = 0.05  # of the load's progress between two releases of the mapped file's pages


def repacking_enabled(setting: str) -> bool:
    """Whether to allow weight repacking. "auto" turns it off when llama.cpp was built with AMX: the AMX
    repack path crashes on the first decode of a quantized model (llama.cpp issue 20824)."""
    if setting in ("on", "off"):
        return setting == "on"
    return "AMX" not in _system_info()


# A llama.cpp built for the CPU it was compiled on (GGML_NATIVE, pip's default) enables AMX where the CPU
# has it; llama-cpp-python can then only switch its extra buffer types off, not AMX alone.
NON_AMX_BUILD = (
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON" '
    "pip install --force-reinstall --no-cache-dir llama-cpp-python"
)


def crashing_settings(*, cpu_repack: str) -> str | None:
    """Why these load settings would crash this llama.cpp build, or None.

    A segfault in llama.cpp takes the kernel, and every variable in it, down with it: settings known to
    crash a build are refused before the load, with what to set instead. Known: weight repacking forced on
    where the build uses AMX (repacked quantized weights go through AMX tiles that are never configured:
    the first decode dies in ggml_backend_amx_mul_mat, llama.cpp issue 20824)."""
    if cpu_repack == "on" and "AMX" in _system_info():
        return (
            "cpu_repack = 'on' is refused: this llama.cpp build uses AMX (AMX_INT8 = 1 in its system info), "
            "and its repacked weights crash the process on the first decode of a quantized model (llama.cpp "
            "issue 20824), which would take the kernel and your variables with it. Set "
            "OciMagics.cpu_repack = 'off' (the default) or 'auto' (it turns repacking off here); for "
            f"repacked weights on this CPU, install a llama.cpp built without AMX: {NON_AMX_BUILD}"
        )
    return None


def repacking_choice(setting: str) -> str:
    """What `setting` chooses and why, for `%oci status` and `oci-magic doctor`. Measured on the default
    coder model (Qwen2.5-Coder-1.5B Q4_K_M, 2 AVX-512 cores, a build without AMX; docs/notebooks.md):
    repacked weights decode ~20% faster but evaluate prompts ~20% slower, load ~0.5 s slower, and are a
    private copy in each process (about 800 MiB), where the file's pages are shared."""
    if not repacking_enabled(setting):
        if setting == "auto":
            return "off (AMX workaround)"
        return (
            "off (shared with every process that maps the file; faster prompts and loading, slower decoding)"
        )
    if setting == "auto":
        return "on (auto: faster decoding, a private copy of the weights in this process)"
    return "on (cpu_repack = 'on': a private copy of the weights in this process)"


class LlamaCppBackend(Backend):
    """A GGUF model loaded in this process by llama.cpp."""

    def __init__(
        self,
        model_path: str | os.PathLike,
        *,
        n_ctx: int = 4096,
        n_threads: int = 0,
        n_gpu_layers: int = -1,
        chat_format: str = "auto",
        cpu_repack: str = "off",
        speculation: str = "auto",
        verbose: bool = False,
        on_progress: Callable[[float], None] | None = None,
    ) -> None:
        """Load `model_path`; `on_progress(fraction)` is called as the weights load."""
        self._llm: Any = None  # set once loaded: close() may be called on a backend that failed to load
        self._fim: Any = None  # the suggestions' engine, made on first use
        self._lock = threading.Lock()  # a llama context is not thread-safe
        self.path = Path(model_path).expanduser()
        self.n_threads = n_threads or default_threads()
        self.n_gpu_layers = n_gpu_layers
        self.speculation = speculation  # may change between replies: no reload needed
        refusal = crashing_settings(cpu_repack=cpu_repack)
        if refusal is not None:
            raise ModelLoadError(refusal)
        self.repack = repacking_enabled(cpu_repack)
        self.repack_choice = repacking_choice(cpu_repack)
        self._check_file()
        import llama_cpp

        route_native_log(verbose)

        started = time.perf_counter()
        on_gpu = n_gpu_layers != 0 and llama_cpp.llama_supports_gpu_offload()
        copies = self.repack or on_gpu  # weights copied out of the mapped file: its pages can go
        progress = _LoadProgress(
            on_progress, release=(lambda: release_mapped_file(self.path)) if copies else None
        )
        _native_errors.clear()
        try:
            with _model_params(repack=self.repack, progress=progress):
                batch = 512 if on_gpu else CPU_UBATCH
                self._llm = llama_cpp.Llama(
                    model_path=str(self.path),
                    n_ctx=n_ctx,
                    n_threads=self.n_threads,
                    n_gpu_layers=n_gpu_layers,
                    # A prompt is evaluated one batch per call into llama.cpp, and an interrupt lands between
                    # calls: batches as small as llama.cpp's own passes stop a long prompt within one pass.
                    n_batch=batch,
                    n_ubatch=batch,
                    verbose=verbose,
                )
        except ValueError as exc:
            if progress.interrupt is not None:
                raise KeyboardInterrupt("model load interrupted") from None
            reason = _native_reason()
            if reason is None:
                raise ModelLoadError(
                    f"llama.cpp could not load {self.path} ({exc}). The file may be truncated or corrupt "
                    f"(download it again), too large for free memory (try a smaller quantization or a "
                    f"lower n_ctx, now {n_ctx}), or of an architecture this llama-cpp-python does not know "
                    f"(upgrade it: pip install -U llama-cpp-python)."
                ) from exc
            raise ModelLoadError(_load_failure(self.path, reason, n_ctx)) from exc
        # Weights llama.cpp copied out of the mapped file (repacked, or sent to the GPU) are not kept twice.
        self.released_bytes = release_mapped_file(self.path) if copies else 0
        self.load_time = time.perf_counter() - started
        self.gpu_offload_supported = bool(llama_cpp.llama_supports_gpu_offload())
        meta = self._llm.metadata
        self.name = meta.get("general.name") or self.path.stem
        eos_id = self._llm.token_eos()
        eos_text = self._llm.detokenize([eos_id], special=True).decode(errors="ignore") if eos_id >= 0 else ""
        try:
            self.format: ChatFormat = choose_format(
                chat_format,
                template=meta.get("tokenizer.chat_template"),
                eos_token=eos_text,
                model_name=f"{self.name} {self.path.name}",
            )
        except ChatFormatError:
            self._llm.close()  # loaded for nothing: its memory goes back now, not at garbage collection
            raise
        self.context_size = self._llm.n_ctx()
        self._evaluated = False
        self._pieces: dict[int, bytes] = {}
        self._last_tokens: tuple[str, list[int]] | None = None

    def _check_file(self) -> None:
        if not self.path.is_file():
            raise ModelLoadError(f"model file not found: {self.path}")
        with self.path.open("rb") as handle:
            magic = handle.read(4)
        if magic != b"GGUF":
            raise ModelLoadError(
                f"{self.path} is not a GGUF file (it starts with {magic!r}). llama.cpp needs a .gguf "
                f"model, e.g. a Q4_K_M quantization of OpenCodeInterpreter-DS-6.7B."
            )

    # -- tokens ----------------------------------------------------------------------------------
    def _tokens(self, text: str) -> list[int]:
        """The prompt's tokens. The loop counts a round's prompt (to fit the context) right before the
        backend streams it: the last prompt is remembered so that a round tokenizes its history once
        (about 10 ms per 2,000 tokens here)."""
        if self._last_tokens is not None and self._last_tokens[0] == text:
            return list(self._last_tokens[1])
        tokens = self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)
        self._last_tokens = (text, tokens)
        return list(tokens)

    def count_tokens(self, messages: list[dict]) -> int:
        return len(self._tokens(self.format.render(messages)))

    def _prompt_evaluations(self) -> int:
        """llama.cpp's own count of tokens evaluated in batches (prompt processing)."""
        import llama_cpp

        # llama.cpp reports a floor of 1 before anything was evaluated.
        return llama_cpp.llama_perf_context(self._llm.ctx).n_p_eval if self._evaluated else 0

    # -- generation --------------------------------------------------------------------------------
    def stream_chat(self, messages: list[dict], **options: Any) -> Reply:
        """The reply to `messages`, chunk by chunk (the format's reply prefix first), with its figures."""
        stats = ReplyStats()
        return Reply(self._stream(messages, stats, **options), stats)

    def _stream(
        self,
        messages: list[dict],
        stats: ReplyStats,
        *,
        temperature: float = 0.0,
        max_tokens: int = 1024,
        stop: list[str] | None = None,
        grammar: str | None = None,
        seed: int | None = None,
    ) -> Iterator[str]:
        import llama_cpp

        prompt = self._tokens(self.format.render(messages))
        room = self.context_size - len(prompt)
        if room <= 0:
            raise ContextOverflowError(
                f"the prompt has {len(prompt)} tokens, the context window {self.context_size}; "
                f"raise n_ctx or shorten the request"
            )
        grammar_rules = None
        if grammar is not None:
            from llama_cpp import LlamaGrammar

            grammar_rules = LlamaGrammar.from_string(grammar, verbose=False)
        with self._lock:
            if seed is not None:
                self._llm.set_seed(seed)
            before = self._prompt_evaluations()
            self._evaluated = True
            reply = ReplyText(list(self.format.stop) + list(stop or []))
            pending = self.format.reply_prefix  # sent with the first text, so it times honestly
            generated, finish, limit = 0, None, min(max_tokens, room)
            speculating = self.speculates(temperature=temperature, grammar=grammar)
            drafts = SpeculationStats()
            if speculating:
                tokens = greedy_tokens(
                    self._llm,
                    prompt,
                    drafts,
                    is_end=self._is_end,
                    is_control=self._is_control,
                    replies=self._reply_spans(messages, prompt),
                )
            else:
                tokens = self._tokens_after(prompt, temperature=temperature, grammar=grammar_rules)
            try:
                for token in tokens:
                    if token is None:  # end of generation
                        finish = "stop"
                        break
                    generated += 1
                    text = reply.feed(self._piece(token))
                    if text:
                        yield pending + text
                        pending = ""
                    if reply.stopped:
                        finish = "stop"
                        break
                    if generated >= limit:
                        finish = "length"
                        break
            except ValueError as exc:
                raise BackendError(f"llama.cpp failed while generating: {exc}") from exc
            finally:
                self._free_sampler()
                # An interrupted evaluation leaves work queued that llama.cpp counts at its next sync.
                llama_cpp.llama_synchronize(self._llm.ctx)
                tokens.close()
                stats.prompt_tokens = len(prompt)
                # llama.cpp counts batched evaluations as prompt evaluation: what the cache missed.
                stats.prompt_tokens_evaluated = (
                    drafts.prompt_evaluated if speculating else self._prompt_evaluations() - before
                )
                stats.generated_tokens, stats.finish_reason = generated, finish
                if speculating:
                    stats.drafted_tokens, stats.accepted_tokens = drafts.drafted, drafts.accepted
            pending += reply.finish()
            if finish == "stop" and (self.format.reply_prefix + reply.text).count("```") % 2:
                # The closing fence was the stop string: give it back so the reply reads as markdown.
                pending += "```" if reply.text.endswith("\n") else "\n```"
            if pending:
                yield pending

    def _tokens_after(self, prompt: list[int], *, temperature: float, grammar) -> Iterator[int | None]:
        """The generated tokens, then None at an end-of-generation token. llama-cpp-python's `generate`
        reuses the cached prefix of the prompt and samples in C; greedy at temperature 0."""

        sampling = dict(temp=temperature, top_k=40, top_p=0.95, min_p=0.05, repeat_penalty=1.0)
        for token in self._llm.generate(prompt, grammar=grammar, **sampling):
            if self._is_end(token):
                yield None
                return
            yield token

    def evaluate_ahead(self, text: str) -> int:
        """Evaluate `text`, the start of a prompt to come, into the KV cache now (the warm start): the
        prompt that begins with it then evaluates only what follows. Returns the tokens evaluated. The last
        token is left out: it may merge with the text that follows it into another token."""
        tokens = self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)[:-1]
        if len(tokens) < 2 or len(tokens) >= self.context_size:
            return 0
        with self._lock:
            self._evaluated = True
            return evaluate_prompt(self._llm, tokens)

    def speculates(self, *, temperature: float, grammar: str | None) -> bool:
        """Whether a reply drafts tokens: greedy replies only (sampling would need the drafts' probabilities
        to stay exact), without a grammar, unless speculation is off."""
        return self.speculation != "off" and temperature == 0 and grammar is None

    def _reply_spans(self, messages: list[dict], prompt: list[int]) -> list[tuple[int, int]]:
        """Where the model's earlier replies lie in the prompt's tokens, found by their own tokens (less the
        first and last, which may merge with the text around them)."""
        spans, searched = [], 0
        for message in messages:
            if message["role"] != "assistant":
                continue
            inner = self._llm.tokenize(message["content"].encode(), add_bos=False, special=True)[1:-1]
            at = _find(prompt, inner, searched) if inner else -1
            if at >= 0:
                spans.append((at - 1, at + len(inner) + 1))
                searched = at + len(inner)
        return spans

    def _is_end(self, token: int) -> bool:
        import llama_cpp

        return bool(llama_cpp.llama_vocab_is_eog(self._llm._model.vocab, token))

    def _is_control(self, token: int) -> bool:
        import llama_cpp

        return bool(llama_cpp.llama_vocab_is_control(self._llm._model.vocab, token))

    def _free_sampler(self) -> None:
        """Free the reply's sampler chain now. llama-cpp-python's sampler sits in a reference cycle that only
        the garbage collector breaks, and each holds a vocabulary-sized buffer (3 MiB for Gemma 3): left to
        the collector, every %%oci added that much to the kernel."""
        sampler, self._llm._sampler = getattr(self._llm, "_sampler", None), None
        if sampler is not None:
            sampler.close()

    def _piece(self, token: int) -> bytes:
        """A token's bytes (special tokens render as nothing), looked up once per token id."""
        piece = self._pieces.get(token)
        if piece is None:
            import llama_cpp

            size = 64
            while True:
                buffer = ctypes.create_string_buffer(size)
                length = llama_cpp.llama_token_to_piece(self._llm._model.vocab, token, buffer, size, 0, False)
                if length >= 0:
                    break
                size = -length
            piece = self._pieces[token] = buffer.raw[:length]
        return piece

    # -- description -------------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        layers = self._llm.metadata.get(f"{self._llm.metadata.get('general.architecture')}.block_count")
        if not self.gpu_offload_supported:
            gpu = "none (this llama.cpp build has no GPU backend)"
        elif self.n_gpu_layers < 0:
            gpu = f"all ({layers})" if layers else "all"
        else:
            gpu = str(self.n_gpu_layers)
        return {
            "model": self.name,
            "file": str(self.path),
            "size": f"{self.path.stat().st_size / 2**20:,.0f} MiB",
            "chat format": self.format.name,
            "context": self.context_size,
            "threads": self.n_threads,
            "GPU layers": gpu,
            "weight repacking": self.repack_choice,
            "mapped file released": f"{self.released_bytes / 2**20:,.0f} MiB (weights copied out of it)"
            if self.released_bytes
            else "no",
            "load time": f"{self.load_time:.2f} s",
            "speculation": "off"
            if self.speculation == "off"
            else "drafts from the conversation, greedy replies"
            + (" (auto)" if self.speculation == "auto" else ""),
        }

    @property
    def metadata(self) -> dict[str, Any]:
        """The GGUF's metadata, as llama.cpp read it at the load."""
        return self._llm.metadata

    @property
    def suggestions_made(self) -> Any:
        """The suggestions' engine once `suggestions()` has made it, else None (nothing allocated)."""
        return self._fim

    def fills_in_the_middle(self) -> bool:
        """Whether the model was trained for fill-in-the-middle (suggestions can come from it)."""
        from oci_magic.backends.fim import markers_of

        return markers_of(self._llm) is not None

    def suggestions(self) -> Any:
        """The fill-in-the-middle engine for suggestions as the user types (backends/fim.py), made once: a
        context of its own on these weights. ValueError when the model was not trained for it."""
        if self._fim is None:
            from oci_magic.backends.fim import FimEngine

            self._fim = FimEngine(self)
        return self._fim

    def close(self) -> None:
        """Free the model, once a reply streaming from another thread has finished with it."""
        with self._lock:
            fim, self._fim = self._fim, None
            if fim is not None:
                fim.close()  # before the model its context uses
            llm, self._llm = self._llm, None
            if llm is not None:
                llm.close()


def _find(tokens: list[int], part: list[int], start: int) -> int:
    """Where `part` first occurs in `tokens` from `start`, or -1."""
    at = start
    while True:
        try:
            at = tokens.index(part[0], at)
        except ValueError:
            return -1
        if tokens[at : at + len(part)] == part:
            return at
        at += 1


_cache_lock = threading.Lock()
_cached: tuple[tuple, LlamaCppBackend] | None = None


def _cache_key(model_path: str | os.PathLike, params: dict[str, Any]) -> tuple:
    return str(Path(model_path).expanduser().resolve()), tuple(sorted(params.items()))


def is_cached(model_path: str | os.PathLike, **params: Any) -> bool:
    return _cached is not None and _cached[0] == _cache_key(model_path, params)


def cached_backend() -> LlamaCppBackend | None:
    return _cached[1] if _cached is not None else None


def load_cached(
    model_path: str | os.PathLike, *, on_progress: Callable[[float], None] | None = None, **params: Any
) -> LlamaCppBackend:
    """The kernel's model: loaded on first use, reused while the file and load parameters stay the same,
    freed and replaced when they change. `on_progress(fraction)` reports a load."""
    global _cached
    key = _cache_key(model_path, params)
    with _cache_lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1]
        refusal = crashing_settings(cpu_repack=params.get("cpu_repack", "off"))
        if refusal is not None:  # before the loaded model is let go: the user keeps a working one
            raise ModelLoadError(refusal)
        _release_locked()
        backend = LlamaCppBackend(model_path, on_progress=on_progress, **params)
        _cached = (key, backend)
        return backend


def _release_locked() -> None:
    global _cached
    if _cached is not None:
        _cached[1].close()
        _cached = None


def release_cached() -> None:
    """Free the kernel's model (its memory returns at once)."""
    with _cache_lock:
        _release_locked()


# Free the model before the interpreter tears down the modules llama-cpp-python's finalizer needs.
atexit.register(release_cached)
