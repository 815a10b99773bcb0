"""Every figure the notebooks draw; the only part of ``course_utils`` that imports matplotlib.

Functions take data (histories, tensors, tables) and return the matplotlib ``Figure`` so a
notebook can ``plt.show()`` it and a test can inspect its axes. Figures carry a title,
axis labels with units, and a legend when there is more than one line; every method of the
course keeps one colour and marker in every chapter (:data:`PALETTE`), and error bands say
what they are ("mean ± sd, 3 seeds", "mean, 95 % CI, 3 seeds").

=================  =========  ======================================================
module             chapter    figures
=================  =========  ======================================================
``shared``         all        style, the palette (:func:`style`), bands and error bars
                              (:func:`band`, :func:`errorbars`), decision regions
                              (:func:`plot_decision_boundaries`), train / held-out
                              curves (:func:`plot_train_test_curves`)
``introduction``   00         digits, class counts, seed spread, capacity sweep
``initialization`` 01         symmetry, vanishing gradients, activation histograms,
                              depth profiles, loss curves, the init explorer
``weight_decay``   02         λ sweep, weight histograms and maps, weight norms
``ensembles``      03         voting theory, bootstrap draws, ensemble size, boosting
``dropout``        04         masks, rate sweep, MC dropout, ablation
``normalization``  05         drift, running averages, scale grid, lr sweep, batch size
``search``         06         search scatter, optimism, grid vs random, halving, CV
=================  =========  ======================================================

Everything is re-exported here: ``from course_utils import plotting; plotting.X(...)``
and ``from course_utils.plotting import X`` work for every figure function.
"""

from course_utils.plotting.dropout import (
    plot_dropout_curves,
    plot_dropout_explorer,
    plot_dropout_masks,
    plot_dropout_rate_sweep,
    plot_eval_pitfall,
    plot_mask_average,
    plot_mc_dropout,
    plot_regularizer_comparison,
    plot_unit_ablation,
)
from course_utils.plotting.ensembles import (
    plot_bagged_regression,
    plot_bootstrap_draws,
    plot_ensemble_explorer,
    plot_ensemble_size_curves,
    plot_staged_curves,
    plot_training_cost,
    plot_vote_theory,
)
from course_utils.plotting.initialization import (
    plot_depth_profiles,
    plot_depth_sweep,
    plot_init_explorer,
    plot_layer_histograms,
    plot_loss_curves,
    plot_lr_sweeps,
    plot_sigmoid_derivative,
    plot_unit_weights,
    plot_weight_draws,
    plot_width_sweep,
)
from course_utils.plotting.introduction import (
    plot_capacity_sweep,
    plot_class_counts,
    plot_digits,
    plot_seed_spread,
)
from course_utils.plotting.normalization import (
    plot_activation_drift,
    plot_batch_size_effect,
    plot_drift_over_training,
    plot_gradient_agreement,
    plot_gradient_spread,
    plot_grouped_bars,
    plot_layer_drift,
    plot_loss_along_gradient,
    plot_lr_sweep,
    plot_probe_along_gradient,
    plot_running_average,
    plot_scale_grid,
    plot_sigmoid_linear_region,
)
from course_utils.plotting.search import (
    plot_best_found,
    plot_budget_bars,
    plot_cv_scores,
    plot_cv_stability,
    plot_decade_shares,
    plot_grid_vs_random,
    plot_halving,
    plot_optimism,
    plot_score_vs_hyperparameter,
    plot_search_coverage,
    plot_search_scatter,
    plot_study_trials,
    plot_top_curves,
)
from course_utils.plotting.shared import (
    CLASS_COLORS,
    FAMILIES,
    OKABE_ITO,
    OTHER_COLORS,
    PALETTE,
    REFERENCE,
    SPLITS,
    MethodStyle,
    band,
    bar_errors,
    errorbars,
    find_style,
    line_kwargs,
    other_style,
    plot_decision_boundaries,
    plot_decision_boundary,
    plot_mean_std_curves,
    plot_train_test_curves,
    series_styles,
    set_style,
    shade,
    share_limits,
    show_figure,
    split_of,
    spread,
    spread_label,
    spread_words,
    style,
    summarize_runs,
    summarize_values,
)
from course_utils.plotting.weight_decay import (
    plot_input_weight_maps,
    plot_lambda_sweep,
    plot_weight_histograms,
    plot_weight_norm_curves,
)

__all__ = [
    # shared: style, palette, bands
    "CLASS_COLORS", "FAMILIES", "OKABE_ITO", "OTHER_COLORS", "PALETTE", "REFERENCE", "SPLITS",
    "MethodStyle", "band", "bar_errors", "errorbars", "find_style", "line_kwargs",
    "other_style", "plot_decision_boundaries", "plot_decision_boundary",
    "plot_mean_std_curves", "plot_train_test_curves", "series_styles", "set_style", "shade",
    "share_limits", "show_figure", "split_of", "spread", "spread_label", "spread_words",
    "style", "summarize_runs", "summarize_values",
    # 00
    "plot_capacity_sweep", "plot_class_counts", "plot_digits", "plot_seed_spread",
    # 01
    "plot_depth_profiles", "plot_depth_sweep", "plot_init_explorer", "plot_layer_histograms",
    "plot_loss_curves", "plot_lr_sweeps", "plot_sigmoid_derivative", "plot_unit_weights",
    "plot_weight_draws", "plot_width_sweep",
    # 02
    "plot_input_weight_maps", "plot_lambda_sweep", "plot_weight_histograms",
    "plot_weight_norm_curves",
    # 03
    "plot_bagged_regression", "plot_bootstrap_draws",
    "plot_ensemble_explorer", "plot_ensemble_size_curves", "plot_staged_curves",
    "plot_training_cost", "plot_vote_theory",
    # 04
    "plot_dropout_curves", "plot_dropout_explorer", "plot_dropout_masks", "plot_dropout_rate_sweep",
    "plot_eval_pitfall", "plot_mask_average", "plot_mc_dropout", "plot_regularizer_comparison",
    "plot_unit_ablation",
    # 05
    "plot_activation_drift", "plot_batch_size_effect", "plot_drift_over_training",
    "plot_gradient_agreement", "plot_probe_along_gradient",
    "plot_gradient_spread", "plot_grouped_bars", "plot_layer_drift", "plot_loss_along_gradient",
    "plot_lr_sweep", "plot_running_average", "plot_scale_grid", "plot_sigmoid_linear_region",
    # 06
    "plot_best_found", "plot_budget_bars", "plot_cv_scores", "plot_cv_stability",
    "plot_decade_shares",
    "plot_grid_vs_random", "plot_halving", "plot_optimism", "plot_score_vs_hyperparameter",
    "plot_search_coverage", "plot_search_scatter", "plot_study_trials", "plot_top_curves",
]
