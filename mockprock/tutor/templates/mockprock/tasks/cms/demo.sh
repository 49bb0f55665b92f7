# mockprock demo course, imported with Studio's own command from the mockprock package in
# the image. Importing again replaces the course's content; publishing it saves the
# proctored exams with the mockprock server (Studio's worker does).
./manage.py cms import ../data "$(python -m mockprock.tutor.demo)"
