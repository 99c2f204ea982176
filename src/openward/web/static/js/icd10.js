/* ICD-10 suggestions as you type (clinical pages). The form works without this: the
   server-side "Search" button finds codes too. Fills the page's <datalist id="icd10-options">
   from GET /api/v1/icd10 for every input marked data-icd10-input. */
(function () {
  "use strict";
  var list = document.getElementById("icd10-options");
  if (!list) { return; }
  var timer = null;
  var last = "";

  function fill(items) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.code;
      option.label = item.code + " " + item.description;
      option.textContent = item.description;
      list.appendChild(option);
    });
  }

  function lookup(query) {
    if (query === last) { return; }
    last = query;
    fetch("/api/v1/icd10?limit=12&q=" + encodeURIComponent(query), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    })
      .then(function (response) { return response.ok ? response.json() : { items: [] }; })
      .then(function (body) { if (query === last) { fill(body.items || []); } })
      .catch(function () { /* suggestions are a convenience; the Search button still works */ });
  }

  document.querySelectorAll("[data-icd10-input]").forEach(function (input) {
    input.addEventListener("input", function () {
      var query = input.value.trim();
      window.clearTimeout(timer);
      if (query.length < 2) { return; }
      timer = window.setTimeout(function () { lookup(query); }, 200);
    });
  });
})();
