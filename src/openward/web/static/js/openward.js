// Automatic sign-out after inactivity (shared ward computers), with a one-minute warning.
// Activity in the page also keeps the server-side session alive (at most once a minute).
(function () {
  "use strict";
  var idleSeconds = parseInt(document.body.dataset.idleSeconds || "0", 10);
  if (!idleSeconds) { return; }
  var warnAt = Math.max(idleSeconds - 60, Math.floor(idleSeconds * 0.8));
  var lastActivity = Date.now();
  var lastPing = Date.now();
  var warning = document.getElementById("idle-warning");
  var countdown = document.getElementById("idle-countdown");

  function activity() {
    lastActivity = Date.now();
    if (warning) { warning.classList.add("d-none"); }
    if (Date.now() - lastPing > 60000) {
      lastPing = Date.now();
      fetch("/session/keepalive", { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (r.status === 401) { window.location.reload(); } })
        .catch(function () {});
    }
  }
  ["mousedown", "keydown", "scroll", "touchstart"].forEach(function (name) {
    document.addEventListener(name, activity, { passive: true });
  });
  var stay = document.getElementById("idle-stay");
  if (stay) { stay.addEventListener("click", function () { lastPing = 0; activity(); }); }

  setInterval(function () {
    var idle = (Date.now() - lastActivity) / 1000;
    if (idle >= idleSeconds) {
      var form = document.getElementById("logout-form");
      if (form) { form.elements.reason.value = "idle"; form.submit(); }
    } else if (idle >= warnAt && warning) {
      warning.classList.remove("d-none");
      if (countdown) { countdown.textContent = String(Math.ceil(idleSeconds - idle)); }
    }
  }, 1000);
})();

// Confirmation for destructive buttons: <button data-confirm="Really?">.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var message = button && button.getAttribute("data-confirm");
  if (message && !window.confirm(message)) { event.preventDefault(); }
});

// Print buttons: <button data-print> prints the page (no inline script under the CSP).
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) { window.print(); }
});

// Tables that become cards on phones (class ow-cards): each cell gets its column's name as
// data-label (unless the template wrote one), and a cell of buttons is marked as the actions.
(function () {
  "use strict";
  document.querySelectorAll("table.ow-cards").forEach(function (table) {
    var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var column = 0;
      Array.prototype.forEach.call(row.cells, function (cell) {
        if (!cell.hasAttribute("data-label") && cell.colSpan === 1) {
          cell.setAttribute("data-label", names[column] || "");
        }
        if (cell.querySelector(".btn")) {
          cell.classList.add("ow-cell-actions");
        }
        column += cell.colSpan || 1;
      });
    });
  });
})();

