// Runs before the page is drawn (a classic script in <head>), so a chosen theme never flashes:
// "light" or "dark" from this browser's choice; without one the system's preference rules.
(function () {
  try {
    var theme = localStorage.getItem("matrix-social.theme");
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  } catch (e) {
    // storage blocked: the system's preference
  }
}());
