// Booklet §3.3: an icon lets the person see what they typed in the password field.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "fr";
  var SHOW = lang.indexOf("en") === 0 ? "Show" : "Afficher";
  var HIDE = lang.indexOf("en") === 0 ? "Hide" : "Masquer";
  document.querySelectorAll('input[type="password"]').forEach(function (input) {
    var group = document.createElement("div");
    group.className = "input-group";
    input.parentNode.insertBefore(group, input);
    group.appendChild(input);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-outline-secondary";
    button.textContent = SHOW;
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-controls", input.id);
    button.addEventListener("click", function () {
      var shown = input.type === "text";
      input.type = shown ? "password" : "text";
      button.textContent = shown ? SHOW : HIDE;
      button.setAttribute("aria-pressed", shown ? "false" : "true");
    });
    group.appendChild(button);
    // Bootstrap shows .invalid-feedback only as a sibling of the .is-invalid input: the error
    // follows the input into the group (its id stays in the input's aria-describedby).
    var next = group.nextElementSibling;
    while (next && next.classList.contains("invalid-feedback")) {
      var feedback = next;
      next = next.nextElementSibling;
      group.classList.add("has-validation");
      group.appendChild(feedback);
    }
  });
})();
