// The source reader: selecting a passage of the text offers to quote it in a status update
// (analysts) or to create the commitment it states (managers). Without JavaScript, each
// paragraph's "Quote this paragraph" and "New commitment from this paragraph" links do the same.
(function () {
  "use strict";
  function setUp() {
    var actions = document.getElementById("selection-actions");
    if (!actions) return;
    var inputs = actions.querySelectorAll("input[name=text]");
    var preview = actions.querySelector(".quote-preview");
    document.addEventListener("selectionchange", function () {
      var text = document.getElementById("source-text");
      var selection = document.getSelection();
      var chosen = selection ? selection.toString().replace(/\s+/g, " ").trim() : "";
      // Keep the last selection while a button is pressed; change only for a new one.
      if (!chosen || !text || !text.contains(selection.anchorNode) || !text.contains(selection.focusNode)) return;
      for (var i = 0; i < inputs.length; i++) inputs[i].value = chosen;
      preview.textContent = "“" + (chosen.length > 160 ? chosen.slice(0, 160) + "…" : chosen) + "”";
      actions.hidden = false;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
