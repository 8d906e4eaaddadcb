// Small conveniences of the staff workspace; every page works without this script.
// - A form whose button has data-confirm asks before it is sent (ratifying, sending letters).
//   Filters are never sent on change: a new page only comes when the person asks (WCAG 3.2.2).
// - The notice after an action gets focus, so screen readers read what happened.
(function () {
  'use strict';
  document.querySelectorAll('form [data-confirm]').forEach(function (button) {
    button.form.addEventListener('submit', function (event) {
      if (event.submitter === button && !window.confirm(button.getAttribute('data-confirm'))) {
        event.preventDefault();
      }
    });
  });
  var notice = document.getElementById('melding');
  if (notice) { notice.focus(); }
})();
