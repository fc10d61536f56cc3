// Behaviours every page may use, declared in the markup (no inline script or
// event handler, so the Content-Security-Policy can forbid them):
//   <select data-autosubmit>  submits its form when the choice changes;
//   <button data-print>       prints the page.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("[data-autosubmit]") && field.form) {
    field.form.submit();
  }
});
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});
