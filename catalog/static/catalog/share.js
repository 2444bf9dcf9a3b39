// «Поделиться» on a program's page: the phone's own sharing sheet (a parents' chat, a messenger) where the browser
// has one, the page's address copied where it can only copy. Left hidden otherwise: the address bar is there.
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.share && !navigator.clipboard) return;
  document.querySelectorAll("[data-share]").forEach((box) => {
    const button = box.querySelector("button");
    const status = box.querySelector("[data-share-status]");
    const link = { title: button.dataset.shareTitle, url: button.dataset.shareUrl };
    box.hidden = false;
    button.addEventListener("click", async () => {
      status.textContent = "";
      try {
        if (navigator.share) {
          await navigator.share(link);
        } else {
          await navigator.clipboard.writeText(link.url);
          status.textContent = "Ссылка скопирована.";
        }
      } catch (error) {
        // Closing the sharing sheet is the family's choice, not a failure.
        if (error.name !== "AbortError") status.textContent = "Не получилось: скопируйте адрес страницы.";
      }
    });
  });
});
