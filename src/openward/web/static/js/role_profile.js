// A role's profile fields (<fieldset data-role-profile="doctor">) show only while that role is
// chosen in the form's role select (hidden ones are disabled, so they are not sent); without
// script they are always there, marked "required when the role is ...".
(function () {
  "use strict";
  document.querySelectorAll("fieldset[data-role-profile]").forEach(function (fieldset) {
    var role = fieldset.form && fieldset.form.elements.namedItem("role");
    if (!role || role.tagName !== "SELECT") { return; }
    function sync() {
      var shown = role.value === fieldset.getAttribute("data-role-profile");
      fieldset.hidden = !shown;
      fieldset.disabled = !shown;
    }
    role.addEventListener("change", sync);
    sync();
  });
})();
