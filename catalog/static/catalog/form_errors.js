// A form that was not saved opens on the summary of its errors: the focus goes there, so that a
// keyboard or screen-reader user starts with what failed and follows its links to the fields.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("form-errors");
  if (summary) {
    summary.focus();
  }
});
