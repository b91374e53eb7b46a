// The acknowledgement link's page: opening it in a browser is the one click.
// (Link scanners and previews fetch the page without running scripts, so
// they never acknowledge.)
document.getElementById("ack-form").submit();
