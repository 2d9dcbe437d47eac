// The source reader: selecting a passage of the text offers to quote it in a status update.
// Without JavaScript, each paragraph's "Quote this paragraph" link does the same.
(function () {
  "use strict";
  function setUp() {
    var form = document.getElementById("quote-selection");
    if (!form) return;
    var input = form.querySelector("input[name=text]");
    var preview = form.querySelector(".quote-preview");
    document.addEventListener("selectionchange", function () {
      var text = document.getElementById("source-text");
      var selection = document.getSelection();
      var chosen = selection ? selection.toString().replace(/\s+/g, " ").trim() : "";
      // Keep the last selection while the button is pressed; change only for a new one.
      if (!chosen || !text || !text.contains(selection.anchorNode) || !text.contains(selection.focusNode)) return;
      input.value = chosen;
      preview.textContent = "“" + (chosen.length > 160 ? chosen.slice(0, 160) + "…" : chosen) + "”";
      form.hidden = false;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
