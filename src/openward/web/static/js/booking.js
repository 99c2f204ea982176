// Booking page: the chosen doctor's free times for the chosen day, shown in place as the
// doctor or the date changes (GET /appointments/free-times), with why a day has none and a
// button that fills in the next free day. Without scripts the "Show free times" button asks.
(function () {
  "use strict";
  var choice = document.getElementById("f-choice");
  var dateInput = document.getElementById("f-date");
  var picker = document.getElementById("slot-picker");
  var timeEntry = document.getElementById("time-entry");
  if (!choice || !dateInput || !picker || !timeEntry) { return; }
  var timeInput = document.getElementById("f-time");
  var list = document.getElementById("slot-list");
  var dayLabel = document.getElementById("slot-day");
  var noSlots = document.getElementById("no-slots");
  var why = document.getElementById("no-slots-why");
  var nextFree = document.getElementById("next-free");
  var nextLink = document.getElementById("next-free-link");
  var nextLabel = document.getElementById("next-free-label");
  var noNext = document.getElementById("no-next-free");
  var slotsButton = document.getElementById("slots-button");
  if (slotsButton) { slotsButton.classList.add("d-none"); }
  var asked = 0;

  function showTimeEntry() {
    picker.classList.add("d-none");
    timeEntry.classList.remove("d-none");
    timeInput.disabled = false;
    list.querySelectorAll("input").forEach(function (input) { input.disabled = true; });
  }

  function showSlots(data) {
    timeEntry.classList.add("d-none");
    timeInput.disabled = true;
    picker.classList.remove("d-none");
    dayLabel.textContent = data.day_label;
    var chosen = (list.querySelector("input:checked") || {}).value;
    list.textContent = "";
    data.times.forEach(function (time) {
      var label = document.createElement("label");
      label.className = "ow-slot";
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "time";
      input.value = time;
      input.checked = time === chosen;
      var span = document.createElement("span");
      span.textContent = time;
      label.appendChild(input);
      label.appendChild(span);
      list.appendChild(label);
    });
    list.classList.toggle("d-none", data.times.length === 0);
    noSlots.classList.toggle("d-none", data.times.length > 0);
    noSlots.dataset.why = data.why || "";
    why.textContent = data.message || "";
    nextFree.classList.toggle("d-none", !data.next_free_day);
    noNext.classList.toggle("d-none", !!data.next_free_day || data.times.length > 0);
    if (data.next_free_day) {
      nextLink.dataset.fillDate = data.next_free_day;
      nextLabel.textContent = data.next_free_label;
    }
  }

  function refresh() {
    var value = choice.value || "";
    if (value.indexOf("doctor:") !== 0 || !dateInput.value) { showTimeEntry(); return; }
    var mine = ++asked;
    var query = "doctor_id=" + encodeURIComponent(value.slice(7)) +
      "&date=" + encodeURIComponent(dateInput.value);
    fetch("/appointments/free-times?" + query, {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && mine === asked) { showSlots(data); } })
      .catch(function () {});
  }

  choice.addEventListener("change", refresh);
  dateInput.addEventListener("change", refresh);
  nextLink.addEventListener("click", function (event) {
    if (!nextLink.dataset.fillDate) { return; }
    event.preventDefault();
    dateInput.value = nextLink.dataset.fillDate;
    refresh();
    dateInput.focus();
  });
})();
