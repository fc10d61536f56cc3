// The office's workbench: the header's box checks or clears every case of the page.
(function () {
  var all = document.getElementById("check-all");
  if (!all) { return; }
  all.addEventListener("change", function (event) {
    document.querySelectorAll('#bulk-form input[name="appeals"]').forEach(function (box) { box.checked = event.target.checked; });
  });
})();
