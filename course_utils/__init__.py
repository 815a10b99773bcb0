"""course_utils: the tested implementations behind the notebook course
"How to train deep networks well".

One module per lesson: ``data``, ``training``, ``batched`` (K models at once) and
``stats`` (how results are reported) serve all chapters; ``init`` (01),
``regularization`` (02), ``ensembles`` (03), ``dropout`` (04), ``normalization`` (05),
``search`` (06); ``plotting`` and ``widgets`` draw what the notebooks show; ``checks``
gives learner-friendly assertions; ``errors`` holds the error classes raised where PyTorch
raises ``RuntimeError`` for a bad argument (each is a ``ValueError`` and a ``RuntimeError``);
``exercises`` and ``cli`` serve graders and lecturers.
Importing the package has no side effects and needs no network.
"""

__version__ = "0.1.0"
