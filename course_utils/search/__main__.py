"""``python -m course_utils.search``: a worker of the chapter's Optuna study (see ``worker``)."""

from course_utils.search.worker import main

raise SystemExit(main())
