// What a static slide deck looks like once it has loaded (evaluated by test_browser.py).
// Needs reveal.js initialised (`.reveal.ready`); returns a JSON-able report.
(async () => {
  const report = {};
  // reveal.js is loaded by require.js (an AMD module, no global): find it among the modules.
  const defined = (window.require && require.s) ? require.s.contexts._.defined : {};
  const Reveal = Object.values(defined).find((m) => m && typeof m.getTotalSlides === "function");
  report.reveal = Boolean(Reveal);
  if (!Reveal) return report;
  report.ready = Reveal.isReady();
  report.total = Reveal.getTotalSlides();
  report.horizontal = Reveal.getHorizontalSlides().length;

  // MathJax 2 runs its queue in order: a callback queued now runs after the typesetting.
  const typeset = () => new Promise((resolve) => MathJax.Hub.Queue(() => resolve("done")));
  report.mathjax = (window.MathJax && MathJax.Hub) ? await typeset() : "not loaded";

  // The text a reader sees, without code (where `$` is Python) and without MathJax's
  // own elements: any `$...$`, `\(` or `\begin{` left there was not typeset.
  const slides = document.querySelector(".reveal .slides").cloneNode(true);
  slides.querySelectorAll("pre, code, script, style, .jp-CodeCell .jp-InputArea, .MathJax_Preview, "
    + ".MathJax_CHTML, .MathJax, .MJX_Assistive_MathML").forEach((e) => e.remove());
  report.text = slides.textContent;
  report.typesetCount = document.querySelectorAll(".MathJax_CHTML").length;
  report.mathErrors = Array.from(document.querySelectorAll(".merror, .mjx-merror, .noError"))
    .map((e) => e.textContent.slice(0, 120));
  // Visit every slide (the template re-renders the math of each: JavaScript errors show
  // here), then come back.
  // Slides taller than the deck's height are cut off on screen: listed, for the authors.
  Reveal.configure({ transition: "none" });
  const height = Reveal.getConfig().height;
  report.tooTall = [];
  for (const slide of Reveal.getSlides()) {
    const { h, v } = Reveal.getIndices(slide);
    Reveal.slide(h, v);
    if (slide.scrollHeight > height) report.tooTall.push(`${h + 1}.${v + 1}`);
  }
  Reveal.slide(0, 0);
  if (report.mathjax === "done") await typeset();
  const number = document.querySelector(".reveal .slide-number");
  report.slideNumber = number ? number.textContent.replace(/\s+/g, " ").trim() : null;
  report.firstSlideText = Reveal.getCurrentSlide().textContent.trim().slice(0, 200);

  return report;
})()
