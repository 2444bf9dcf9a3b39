// An irreversible action asks before its form is sent: a button or a form with data-confirm, or a
// chosen <option> with it (an action picked from a list). Without JavaScript the form is sent as is;
// the server still requires what it always requires (a reason for a refusal).
document.addEventListener("submit", (event) => {
  const form = event.target;
  const option = [...form.querySelectorAll("select")].map((s) => s.selectedOptions[0]).find((o) => o?.dataset.confirm);
  const message = event.submitter?.dataset.confirm || form.dataset.confirm || option?.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
