// Triage: the dispatch form enables the lead unit unless the office handles the
// case directly, and the co-units only for a coordinated case.
(function () {
  var form = document.getElementById("dispatch-form");
  if (!form) { return; }
  function sync() {
    var mode = form.querySelector('input[name="mode"]:checked');
    var value = mode ? mode.value : "";
    form.querySelector("#lead-unit").disabled = value === "direct";
    form.querySelector("#co-units").disabled = value !== "coordinated";
  }
  form.addEventListener("change", sync);
  sync();
})();
