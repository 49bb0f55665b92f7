// A page bundle: what edx-platform's webpack builds besides the proctoring workers.
document.title = 'LMS';
