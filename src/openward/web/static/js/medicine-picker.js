/* Medicine type-ahead on the prescribing page. The form works without this: the "Find"
   button lists the matching medicines to pick from. With it, each row's search box asks
   GET /api/v1/pharmacy/medicines?order=recent (the doctor's recent choices first) as the
   doctor types, and choosing a medicine fills the row's hidden medicine_id (and the route,
   when the row has none and the medicine's form implies one). */
(function () {
  "use strict";
  var SHOWN = 8;

  function text(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content) { node.textContent = content; }
    return node;
  }

  function setUp(picker, index) {
    var input = picker.querySelector("[data-medicine-search]");
    var hidden = picker.querySelector("[data-medicine-id]");
    var list = picker.querySelector("[role=listbox]");
    var find = picker.querySelector("[data-medicine-find]");
    var row = picker.closest("[data-testid=item-row]") || picker.parentNode;
    var route = row.querySelector("[data-medicine-route]");
    if (!input || !hidden || !list) { return; }
    if (find) { find.hidden = true; }
    var chosenLabel = hidden.value ? input.value : "";
    var items = [];
    var active = -1;
    var timer = null;
    var asked = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(position) {
      var options = list.querySelectorAll("[role=option]");
      if (!options.length) { return; }
      active = (position + options.length) % options.length;
      options.forEach(function (option, i) {
        option.classList.toggle("active", i === active);
        option.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    }

    function choose(item) {
      input.value = item.label;
      hidden.value = String(item.id);
      chosenLabel = item.label;
      input.classList.remove("is-invalid");
      if (route && !route.value && item.usual_route) { route.value = item.usual_route; }
      close();
      var dose = row.querySelector("[name^=dose_]");
      if (dose && !dose.value) { dose.focus(); }
    }

    function show(body, query) {
      items = body.items || [];
      while (list.firstChild) { list.removeChild(list.firstChild); }
      active = -1;
      if (!items.length) {
        list.appendChild(text("li", "list-group-item small text-muted ow-med-empty",
          query ? "No medicine in the catalogue matches \u201c" + query + "\u201d." : "The catalogue is empty."));
      }
      items.forEach(function (item, i) {
        var option = text("li", "list-group-item list-group-item-action ow-med-option");
        option.id = "medicine-option-" + index + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.appendChild(text("span", "fw-semibold", item.label));
        var detail = text("span", "ow-med-detail small text-muted", item.generic_name);
        if (item.last_prescribed_at) {
          detail.appendChild(document.createTextNode(" "));
          detail.appendChild(text("span", "badge text-bg-light border", "recent"));
        }
        if (!item.is_active) {
          detail.appendChild(document.createTextNode(" "));
          detail.appendChild(text("span", "badge text-bg-warning", "inactive"));
        }
        option.appendChild(detail);
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); /* keep the focus in the box */
          choose(item);
        });
        list.appendChild(option);
      });
      var more = (body.total || 0) - items.length;
      if (more > 0) {
        list.appendChild(text("li", "list-group-item small text-muted ow-med-more",
          more + " more: keep typing to narrow the list."));
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function ask() {
      var query = input.value.trim();
      if (query === asked && !list.hidden) { return; }
      asked = query;
      var url = "/api/v1/pharmacy/medicines?order=recent&limit=" + SHOWN +
        (query ? "&q=" + encodeURIComponent(query) : "");
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (body && asked === query && document.activeElement === input) { show(body, query); }
        })
        .catch(function () { if (find) { find.hidden = false; } /* the Find button still works */ });
    }

    input.addEventListener("input", function () {
      if (input.value !== chosenLabel) { hidden.value = ""; chosenLabel = ""; }
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 150);
    });
    input.addEventListener("focus", function () {
      if (!hidden.value) { ask(); }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 100); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { asked = null; ask(); return; }
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter") {
        if (!list.hidden && items.length) {
          event.preventDefault();
          choose(items[active >= 0 ? active : 0]);
        }
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    /* Typed into before this script ran (a slow page): answer what is already there. */
    if (document.activeElement === input && input.value && !hidden.value) { ask(); }
  }

  document.querySelectorAll("[data-medicine-picker]").forEach(setUp);
})();
