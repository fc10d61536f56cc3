"""``qitong serve``'s gunicorn settings: how many processes and threads each mode runs."""

from qitong.core.management.commands.serve import server_config


def test_production_runs_few_threads_a_process_and_embedded_mode_more():
    production = server_config("127.0.0.1", 8000, workers=3, threads=None, embedded=False)
    assert (production["workers"], production["threads"]) == (3, 2)
    embedded = server_config("127.0.0.1", 8000, workers=3, threads=None, embedded=True)
    assert (embedded["workers"], embedded["threads"]) == (1, 8)  # SQLite: one process


def test_threads_and_workers_as_given():
    given = server_config("::1", 8000, workers=4, threads=6, embedded=False)
    assert (given["workers"], given["threads"], given["bind"]) == (4, 6, "[::1]:8000")


def test_the_threads_come_from_the_environment(monkeypatch):
    from qitong.core.management.commands import serve

    monkeypatch.setenv("QITONG_WEB_THREADS", "3")
    parser = serve.Command().create_parser("qitong", "serve")
    assert parser.parse_args([]).threads == 3
    monkeypatch.delenv("QITONG_WEB_THREADS")
    assert serve.Command().create_parser("qitong", "serve").parse_args([]).threads is None


def test_a_worker_freezes_what_it_loaded_and_embedded_mode_also_starts_the_jobs():
    import gc

    from qitong.core.management.commands import serve

    production = server_config("127.0.0.1", 8000, workers=2, threads=None, embedded=False)
    assert production["post_worker_init"] is serve._freeze_loaded
    embedded = server_config("127.0.0.1", 8000, workers=None, threads=None, embedded=True)
    assert embedded["post_worker_init"] is serve._start_embedded_worker
    gc.unfreeze()
    try:
        serve._freeze_loaded(worker=None)
        # what the process holds is out of the collector's generations, so a full
        # collection no longer walks it
        assert gc.get_freeze_count() > 1000
        assert len(gc.get_objects()) < gc.get_freeze_count()
    finally:
        gc.unfreeze()


def test_production_workers_take_a_connection_only_for_a_free_thread_and_answer_one_request():
    # Requests then queue in the listening socket, first come first served by whichever
    # worker frees a thread first, instead of behind the clients a worker happened to keep.
    production = server_config("127.0.0.1", 8000, workers=2, threads=3, embedded=False)
    assert (production["worker_connections"], production["keepalive"]) == (3, 0)
    embedded = server_config("127.0.0.1", 8000, workers=None, threads=None, embedded=True)
    assert "worker_connections" not in embedded and "keepalive" not in embedded
