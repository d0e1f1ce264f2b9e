// A deep-linking response goes back to the LMS as a form post: send it at once.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-autosubmit]");
  if (form) form.submit();
});
